package schema

// Resolve checks names and references across a deployment assembled from
// several sources (native files loaded with Load plus imported ARM,
// Terraform or Windows files): duplicate names (LB1002) and references to
// objects that do not exist (LB1001), exactly as Load does for native files.
func Resolve(d *Deployment) []Issue { return resolve(d) }
