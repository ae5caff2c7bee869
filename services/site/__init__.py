"""The public site: the landing page, robots.txt and the sitemap."""
