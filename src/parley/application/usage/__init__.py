"""Usage accounting: records written off the request path, reports from daily roll-ups."""
