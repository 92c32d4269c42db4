#!/usr/bin/python3
"""Generate a synthetic CT study as DICOM Part-10 files (deterministic).

Run with Debian's interpreter (/usr/bin/python3: pydicom 2.3 + numpy).

  gen_study.py OUT_DIR [--slices 100] [--size 512] [--seed 1]
               [--patient-name NAME] [--patient-id ID] [--description TEXT]

Each slice is a 16-bit signed CT image of a simple phantom (body ellipse,
spine, lungs, a sphere that grows and shrinks along z) with full geometry
(ImagePositionPatient, ImageOrientationPatient, PixelSpacing, SliceThickness,
FrameOfReferenceUID) so OHIF can stack and render it. UIDs derive from the
seed, so the same arguments give the same files. The StudyInstanceUID is
printed on stdout.
"""
import argparse
import hashlib
import os
import sys

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
UID_ROOT = "1.2.826.0.1.3680043.10.1011."  # private test root


def uid(seed, *parts):
    """A valid, deterministic UID (digits only, <= 64 chars)."""
    digest = hashlib.sha256(":".join(map(str, (seed,) + parts)).encode()).hexdigest()
    return (UID_ROOT + str(int(digest[:24], 16)))[:64]


def phantom(size, z, slices, rng):
    """One axial slice in Hounsfield units (int16)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    img = np.full((size, size), -1000.0, np.float32)            # air
    img[(x / 0.42) ** 2 + (y / 0.32) ** 2 <= 1] = 40             # soft tissue
    for cx in (-0.17, 0.17):                                     # lungs
        img[((x - cx) / 0.12) ** 2 + ((y + 0.03) / 0.2) ** 2 <= 1] = -850
    img[(x / 0.05) ** 2 + ((y - 0.2) / 0.05) ** 2 <= 1] = 700   # spine
    t = z / max(slices - 1, 1)                                   # 0..1 along z
    r = 0.1 * np.sin(np.pi * t) + 0.01                           # sphere
    img[(x ** 2 + (y + 0.05) ** 2) <= r ** 2] = 200
    img += rng.normal(0, 12, img.shape)                          # noise
    return img.astype(np.int16)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--slices", type=int, default=100)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--patient-name", default="RADFLARE^TEST")
    ap.add_argument("--patient-id", default="RF0001")
    ap.add_argument("--description", default="Radflare synthetic CT")
    a = ap.parse_args()

    os.makedirs(a.out_dir, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    study, series, frame = (uid(a.seed, k) for k in ("study", "series", "frame"))
    spacing, thickness = 0.7, 2.5

    for i in range(a.slices):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
        meta.MediaStorageSOPInstanceUID = uid(a.seed, "sop", i)
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = UID_ROOT + "1"
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.SOPClassUID = CT_IMAGE_STORAGE
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.FrameOfReferenceUID = frame
        ds.PatientName, ds.PatientID = a.patient_name, a.patient_id
        ds.PatientBirthDate, ds.PatientSex = "19700101", "O"
        ds.StudyDate = ds.SeriesDate = ds.ContentDate = "20240102"
        ds.StudyTime = ds.SeriesTime = ds.ContentTime = "101500"
        ds.AccessionNumber = f"ACC{a.seed:06d}"
        ds.StudyID = "1"
        ds.StudyDescription = a.description
        ds.SeriesDescription = f"Axial {thickness} mm"
        ds.Modality, ds.BodyPartExamined = "CT", "CHEST"
        ds.Manufacturer = "Radflare"
        ds.SeriesNumber, ds.InstanceNumber = 1, i + 1
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ImagePositionPatient = [-spacing * a.size / 2, -spacing * a.size / 2, -i * thickness]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceLocation = -i * thickness
        ds.PixelSpacing = [spacing, spacing]
        ds.SliceThickness = thickness
        ds.KVP = 120
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows = ds.Columns = a.size
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
        ds.PixelRepresentation = 1
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "HU"
        ds.WindowCenter, ds.WindowWidth = 40, 400
        ds.PixelData = phantom(a.size, i, a.slices, rng).tobytes()
        ds.save_as(os.path.join(a.out_dir, f"CT{i + 1:04d}.dcm"), write_like_original=False)

    print(study)


if __name__ == "__main__":
    sys.exit(main())
