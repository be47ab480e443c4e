// name: frames_sectors_of
// purpose: the sectors of the organisations with the given ids (those that have one)
// params: $ids, $chunk
// returns: chunk
UNWIND $ids AS oid
MATCH (o:Organisation {id: oid})
WHERE o.sector IS NOT NULL
WITH collect([o.id, o.sector]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
