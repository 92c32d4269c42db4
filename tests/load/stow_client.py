#!/usr/bin/python3
"""A customer app uploading continuously: STOW-RS one new instance at a time.

  stow_client.py URL USER PASSWORD_FILE STOP_FILE OUT_PREFIX

Each request carries one freshly made CT slice (pydicom) of the client's own
study. Runs until STOP_FILE exists, then writes OUT_PREFIX.acked (the
SOPInstanceUIDs the server acknowledged with 200) and OUT_PREFIX.failed
(one line per request that did not get 200: status and reason), and prints
"STUDY_UID sent acked failed".
"""
import base64
import io
import os
import sys
import time
import urllib.error
import urllib.request

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"


def instance(study_uid, series_uid, number):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_IMAGE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = CT_IMAGE, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.PatientID, ds.PatientName = "LOAD-" + study_uid[-6:], "Load^Client"
    ds.Modality, ds.InstanceNumber = "CT", number
    ds.Rows = ds.Columns = 64
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PixelRepresentation = 1, "MONOCHROME2", 0
    ds.PixelData = (np.arange(64 * 64, dtype=np.uint16) * number).tobytes()
    out = io.BytesIO()
    ds.save_as(out, write_like_original=False)
    return ds.SOPInstanceUID, out.getvalue()


def main():
    url, user, password_file, stop_file, prefix = sys.argv[1:6]
    with open(password_file) as f:
        password = f.readline().strip()
    auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    study, series = generate_uid(), generate_uid()
    boundary = "radflare-load-" + study[-12:]
    acked, failed, sent = [], [], 0
    # Stops on the stop file, or when the test's folder is gone (it ended).
    while not os.path.exists(stop_file) and os.path.isdir(os.path.dirname(stop_file) or "."):
        sent += 1
        uid, data = instance(study, series, sent)
        body = (f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + data +
                f"\r\n--{boundary}--\r\n".encode())
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Authorization": auth, "Accept": "application/dicom+json",
            "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}'})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                (acked if response.status == 200 else failed).append(uid if response.status == 200 else
                                                                     f"{response.status} {uid}")
        except urllib.error.HTTPError as e:
            failed.append(f"{e.code} {uid}")
        except Exception as e:  # connection reset, timeout: a failed request all the same
            failed.append(f"{type(e).__name__}: {e} {uid}")
        time.sleep(0.05)
    with open(prefix + ".acked", "w") as f:
        f.write("".join(u + "\n" for u in acked))
    with open(prefix + ".failed", "w") as f:
        f.write("".join(u + "\n" for u in failed))
    print(study, sent, len(acked), len(failed))


if __name__ == "__main__":
    main()
