"""Circuit breakers: in process, or shared through Redis."""
