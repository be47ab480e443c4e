// name: workshop_notes
// purpose: a workshop's notes and vote items (Note nodes ON it), oldest first
// params: $workshop
// returns: note
MATCH (w:Workshop {id: $workshop})<-[:ON]-(n:Note)
RETURN properties(n) AS note
ORDER BY n.created, n.id
