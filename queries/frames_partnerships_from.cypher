// name: frames_partnerships_from
// purpose: partnerships starting at the organisations with ids in $ids, with kind and dates; dates as ISO text (the driver decodes text far faster than Date values)
// params: $ids, $chunk
// returns: chunk
UNWIND $ids AS oid
MATCH (:Organisation {id: oid})-[r:PARTNERS_WITH]->(b:Organisation)
WITH collect([oid, b.id, r.kind, toString(r.start), toString(r.end)]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
