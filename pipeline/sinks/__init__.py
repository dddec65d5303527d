"""Writers at the edge of the pipeline: search engine (Elasticsearch/OpenSearch), JSONL export, dead-letter."""
