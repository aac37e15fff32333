"""The offline engine: the renderer that runs the real program under Pulumi's mocks, the fake
cloud that answers like AWS, the graph format and the cache of rendered graphs."""
