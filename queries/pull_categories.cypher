// name: pull_categories
// purpose: every category with its broader category, in chunks of lists
// params: $chunk
// returns: chunk
MATCH (c:Category)
OPTIONAL MATCH (c)-[:BROADER]->(b:Category)
WITH collect([c.code, properties(c), b.code]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
