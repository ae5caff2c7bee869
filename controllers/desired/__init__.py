"""PURE builders: a custom resource's parsed spec -> the Kubernetes manifests it should own."""
