"""The directory service: sources (backend instances), number normalization, the reverse-lookup
cache, and the search and reverse-lookup logic that fans out to them under deadlines."""
