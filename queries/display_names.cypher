// name: display_names
// purpose: the name of every place, category, organisation and service, by code or id, for people to read
// params: $chunk
// returns: chunk
MATCH (n)
WHERE (n:Place OR n:Category OR n:Organisation OR n:Service) AND n.name IS NOT NULL
WITH collect([coalesce(n.code, n.id), n.name]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
