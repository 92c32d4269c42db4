#!/usr/bin/python3
"""Build a STOW-RS request body (multipart/related) from a folder of DICOM files.

  stow_body.py DICOM_DIR BODY_FILE      -> prints the Content-Type header value

Then: curl -H "Content-Type: $(...)" --data-binary @BODY_FILE .../dicom-web/studies
Streams file by file, so large studies do not need to fit in memory twice.
"""
import os
import sys
import uuid


def main():
    src, out = sys.argv[1], sys.argv[2]
    boundary = "radflare-" + uuid.uuid5(uuid.NAMESPACE_URL, os.path.abspath(src)).hex
    files = sorted(f for f in os.listdir(src) if f.endswith(".dcm"))
    if not files:
        sys.exit(f"stow_body.py: no .dcm files in {src}")
    with open(out, "wb") as body:
        for name in files:
            body.write(f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode())
            with open(os.path.join(src, name), "rb") as f:
                body.write(f.read())
            body.write(b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
    print(f'multipart/related; type="application/dicom"; boundary={boundary}')


if __name__ == "__main__":
    main()
