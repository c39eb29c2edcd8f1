"""fairdraw witnesses: C2SP tlog-witness server, cosignature/v1, witness policy, log-side collector."""
