"""Deployment past one process: nginx in front of app replicas (deploy/serve.py)."""
