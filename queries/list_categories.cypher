// name: list_categories
// purpose: every category's code and display name (for choosers; no graph pull needed)
// params: (none)
// returns: code, name
MATCH (c:Category)
RETURN c.code AS code, c.name AS name
ORDER BY code
