// name: pull_partnerships_to
// purpose: partnerships ending at the organisations with ids in $ids, with their properties; dates as ISO text (decoded far faster than Date values)
// params: $ids, $chunk
// returns: chunk
UNWIND $ids AS oid
MATCH (:Organisation {id: oid})<-[r:PARTNERS_WITH]-(a:Organisation)
WITH collect([a.id, oid, r {.*, start: toString(r.start), end: toString(r.end)}]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
