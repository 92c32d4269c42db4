#!/usr/bin/python3
"""Small data helpers for bench.sh (Debian's python3: pydicom).

  data.py small TEMPLATE.dcm OUT_DIR N   N one-instance studies cloned from TEMPLATE
                                         (new patient/study/series/instance UIDs)
  data.py uids DICOM_DIR                 "STUDY SERIES" then one SOPInstanceUID per
                                         line, in file-name order
"""
import os
import sys

import pydicom

UID_ROOT = "1.2.826.0.1.3680043.10.1011.9."  # private test root, bench branch


def small(template, out_dir, n):
    os.makedirs(out_dir, exist_ok=True)
    ds = pydicom.dcmread(template)
    for i in range(n):
        ds.PatientID = f"RFBENCH{i:04d}"
        ds.PatientName = f"BENCH^SMALL{i:04d}"
        ds.StudyDescription = f"Radflare bench small study {i}"
        ds.AccessionNumber = f"BENCH{i:06d}"
        ds.StudyInstanceUID = f"{UID_ROOT}1.{i}"
        ds.SeriesInstanceUID = f"{UID_ROOT}2.{i}"
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"{UID_ROOT}3.{i}"
        ds.save_as(os.path.join(out_dir, f"S{i:04d}.dcm"), write_like_original=False)


def uids(src):
    files = sorted(f for f in os.listdir(src) if f.endswith(".dcm"))
    first = pydicom.dcmread(os.path.join(src, files[0]), stop_before_pixels=True)
    print(first.StudyInstanceUID, first.SeriesInstanceUID)
    for f in files:
        print(pydicom.dcmread(os.path.join(src, f), stop_before_pixels=True).SOPInstanceUID)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "small":
        small(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 3 and sys.argv[1] == "uids":
        uids(sys.argv[2])
    else:
        sys.exit(__doc__)
