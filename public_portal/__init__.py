"""fairdraw public portal: the static verifier site and the builder that writes its data files."""
