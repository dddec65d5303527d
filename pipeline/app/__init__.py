"""The commands users type (``newsmon …``) and what they print: parsing, dispatch, tables, charts."""
