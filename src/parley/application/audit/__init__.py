"""Reading the audit trail: paged queries and streamed exports. Nothing here changes it."""
