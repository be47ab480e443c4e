// name: names_by_kind
// purpose: the name of every place, category, organisation and service, with its kind, for the tables people read
// params: $chunk
// returns: chunk
MATCH (n)
WHERE (n:Place OR n:Category OR n:Organisation OR n:Service) AND n.name IS NOT NULL
WITH collect([CASE WHEN n:Place THEN 'places' WHEN n:Category THEN 'categories'
                   WHEN n:Organisation THEN 'organisations' ELSE 'services' END,
              coalesce(n.code, n.id), n.name]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
