#!/usr/bin/python3
"""Write one uncompressed RGB multi-frame ultrasound image (a short cine), the
kind of object a modality sends as JPEG Baseline (compress it with dcmcjpeg).

Run with Debian's interpreter (/usr/bin/python3: pydicom 2.3 + numpy).

  gen_rgb_cine.py OUT_FILE STUDY_UID [--frames 4] [--description TEXT]

Each frame shows coloured bars and a bright disc that moves from frame to frame,
so every frame differs and has contrast.
"""
import argparse

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

US_MULTIFRAME_STORAGE = "1.2.840.10008.5.1.4.1.1.3.1"


def frame(rows, cols, k):
    y, x = np.mgrid[0:rows, 0:cols]
    img = np.zeros((rows, cols, 3), np.uint8)
    bars = (x // 24) % 2 == 0
    img[bars] = np.stack([(x * 255 // cols), 255 - (x * 255 // cols), np.full_like(x, 96)], -1)[bars]
    disc = (x - cols * (0.3 + 0.1 * k)) ** 2 + (y - rows / 2) ** 2 <= (rows / 5) ** 2
    img[disc] = 240
    return img


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("study_uid")
    p.add_argument("--frames", type=int, default=4)
    p.add_argument("--description", default="Radflare RGB cine")
    a = p.parse_args()
    rows, cols = 240, 320

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = US_MULTIFRAME_STORAGE
    meta.MediaStorageSOPInstanceUID = a.study_uid + ".1.1"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(a.out, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = US_MULTIFRAME_STORAGE
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = a.study_uid
    ds.SeriesInstanceUID = a.study_uid + ".1"
    ds.PatientName, ds.PatientID = "Codec^Cine", "RFCODEC"
    ds.StudyDescription, ds.SeriesDescription = a.description, "Cine"
    ds.StudyDate, ds.StudyTime, ds.Modality = "20240103", "101500", "US"
    ds.SeriesNumber, ds.InstanceNumber = 1, 1
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, cols, a.frames
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.FrameTime, ds.FrameIncrementPointer = 40, 0x00181063  # (0018,1063) Frame Time
    ds.PixelData = np.stack([frame(rows, cols, k) for k in range(a.frames)]).tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(a.out, write_like_original=False)


if __name__ == "__main__":
    main()
