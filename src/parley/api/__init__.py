"""HTTP: the FastAPI app factory, routers, schemas, and error mapping. Thin by design."""
