"""The MCP server (``syncdoctor mcp``); needs the service extra."""
