# One run reports every error, in file order, as FILE:LINE:COL: error: KEY: …
. "$(dirname "$0")/common.inc"
printf '[orthanc]\ndicom_port = 0\naet = ""\n[web]\nohif_path = "ohif"\n' >"$t/bad.toml"
expect_exit 1 "$radflare" check --config "$t/bad.toml" 2>"$t/err"
grep -c ': error: ' "$t/err" | grep -qx 3
head -1 "$t/err" | grep -qF "$t/bad.toml:2:14: error: orthanc.dicom_port: expected a port number"
tail -1 "$t/err" | grep -qF "3 errors; nothing was changed."
