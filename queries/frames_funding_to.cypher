// name: frames_funding_to
// purpose: funding flows (with beneficiary places and whether the end was assumed) received by the organisations with ids in $ids; dates as ISO text (the driver decodes text far faster than Date values)
// params: $ids, $chunk
// returns: chunk
UNWIND $ids AS oid
MATCH (b:Organisation {id: oid})<-[r:FUNDS]-(a:Organisation)
WITH collect([r.id, a.id, oid, r.amount, toString(r.start), toString(r.end), r.service, r.beneficiary_places, r.end_assumed, r.currency]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
