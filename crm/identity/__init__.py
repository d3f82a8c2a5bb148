"""Customer identity: duplicate detection (matcher), merge and unmerge with an audit trail (merge)."""
