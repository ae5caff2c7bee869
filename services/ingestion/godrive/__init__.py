"""The RRC's public file shares (GoAnywhere "GoDrive"): reading a share's listing and
downloading a file by the page's JSF postback, and a local server that speaks the same
protocol for the local stack and the tests."""
