"""The exposure field spec (CONTRACT §1) and what is generated from it: records, schemas, docs."""
