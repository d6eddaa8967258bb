"""Full-text search over reports and legacy records (DESIGN §5), Whoosh by default."""
