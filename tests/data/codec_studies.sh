#!/usr/bin/env bash
# The same small CT once per transfer syntax that modalities and archives send
# (Explicit VR Big Endian and Deflated included),
# each as its own study, plus an RGB cine as JPEG Baseline (as ultrasound sends
# it). For the OHIF codec check (tests/browser/ohif_codecs.mjs): the lossless
# copies must look exactly like the uncompressed one, the lossy ones nearly.
#
#   bash tests/data/codec_studies.sh OUT_DIR
#
# Writes OUT_DIR/NAME/*.dcm and prints one line per study: NAME STUDY_UID KIND
# COLOUR PROPOSE. KIND: "reference" (uncompressed), "lossless" or "lossy" (the
# same pixels, or nearly), "standalone" (other pixels); COLOUR: "grey" or
# "colour"; PROPOSE: the storescu option that offers the study's transfer
# syntax (storescu proposes only uncompressed ones by default).
# Needs dcmtk, gdcmconv (libgdcm-tools, for JPEG 2000) and Debian's python3
# with pydicom and numpy.
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
root=1.2.826.0.1.3680043.10.1011.7   # private test root, as gen_study.py
PY=/usr/bin/python3
mkdir -p "$out"
$PY "$here/gen_study.py" "$out/source" --slices 3 --size 256 --seed 31 >/dev/null

# NAME KIND N PROPOSE COMPRESS...: a copy of the source with its own UIDs
# (ROOT.N), then COMPRESS IN OUT per file.
variant() {
  local name=$1 kind=$2 n=$3 propose=$4 f; shift 4
  mkdir -p "$out/$name"
  for f in "$out"/source/*.dcm; do
    cp "$f" "$out/$name/tmp.dcm"
    dcmodify -nb -gin -m "(0020,000D)=$root.$n" -m "(0020,000E)=$root.$n.1" \
      -m "(0008,1030)=Radflare codec $name" "$out/$name/tmp.dcm"
    "$@" "$out/$name/tmp.dcm" "$out/$name/$(basename "$f")"
  done
  rm "$out/$name/tmp.dcm"
  echo "$name $root.$n $kind grey $propose"
}
copy() { cp "$1" "$2"; }
variant uncompressed reference 1 -xe copy
# Uncompressed too, but DICOMweb 1.7 cannot hand out their frames as they are
# (old modalities and archives still send both).
variant big-endian lossless 8 -xb dcmconv +tb
variant deflated lossless 9 -xd dcmconv +td
variant jpeg-ls lossless 2 -xt dcmcjpls --encode-lossless
variant jpeg-lossless lossless 3 -xs dcmcjpeg --encode-lossless-sv1
variant rle lossless 4 -xr dcmcrle
variant jpeg2000 lossless 5 -xv gdcmconv --j2k
j2k_lossy() { gdcmconv --j2k --lossy -r 10 "$@" >/dev/null 2>&1; }  # 10:1; it warns on stdout
variant jpeg2000-lossy lossy 6 -xw j2k_lossy

# Most CT and MR store 12 bits: the same HU as unsigned 12-bit values with a
# rescale intercept of -1024, uncompressed and as near-lossless JPEG-LS (which
# does not take the 16-bit signed source). Not here: JPEG Extended 12-bit
# (dcmcjpeg --encode-extended). OHIF draws it, but 2 grey levels brighter than
# the uncompressed copy (mean 28.9 against 26.9, spread 57.6 against 54.0),
# where DCMTK decodes the same file to within 0.05 HU of the source on average:
# that is OHIF's own 12-bit JPEG decoder; the appliance serves the frames as stored.
twelve_bit() {  # IN OUT
  "$PY" - "$1" "$2" <<'PY'
import sys
import numpy as np
import pydicom
ds = pydicom.dcmread(sys.argv[1])
hu = ds.pixel_array.astype(np.int32)  # the source's slope is 1, its intercept 0
ds.PixelData = np.clip(hu + 1024, 0, 4095).astype(np.uint16).tobytes()
ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
ds.RescaleIntercept = -1024
for keyword in ("SmallestImagePixelValue", "LargestImagePixelValue", "PixelPaddingValue"):
    if keyword in ds:
        delattr(ds, keyword)
ds.save_as(sys.argv[2])
PY
}
jpeg_ls_near() { twelve_bit "$1" "$2.12"; dcmcjpls --encode-nearlossless "$2.12" "$2"; rm "$2.12"; }
variant twelve-bit lossless 10 -xe twelve_bit
variant jpeg-ls-near-lossless lossy 11 -xu jpeg_ls_near

mkdir -p "$out/rgb-jpeg-baseline"
$PY "$here/gen_rgb_cine.py" "$out/rgb-cine.dcm" "$root.7" --description "Radflare codec rgb-jpeg-baseline"
dcmcjpeg --encode-baseline "$out/rgb-cine.dcm" "$out/rgb-jpeg-baseline/US0001.dcm"
rm "$out/rgb-cine.dcm"
echo "rgb-jpeg-baseline $root.7 standalone colour -xy"
