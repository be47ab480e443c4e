// name: workshop_touch
// purpose: bump a workshop's revision first in every write transaction, so writes to one workshop serialise (and followers see a change)
// params: $id
// returns: revision, workshop
MATCH (w:Workshop {id: $id})
SET w.revision = coalesce(w.revision, 0) + 1
RETURN w.revision AS revision, properties(w) AS workshop
