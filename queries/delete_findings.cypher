// name: delete_findings
// purpose: remove the findings written for one analysed scope before writing the new ones
// params: $scope
// returns: (nothing)
MATCH (f:Finding {scope: $scope})
DETACH DELETE f
