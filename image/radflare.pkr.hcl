# Radflare appliance image: one template, two sources, one provisioning.
#
#   amazon-ebs.aws  the AMI (Ubuntu 24.04 noble, or the official Debian 12 AMI
#                   with -var base=debian), built on EC2        -> make image
#   qemu.local      the local twin: a Debian 12 base made by image/base-build.sh,
#                   booted under qemu (TCG), provisioned the same way -> make image-local
#
# Both run image/scripts/provision.sh as root inside the machine, with the same
# staging folder (radflare.deb, ohif-dist/, rootfs/, units/, scripts/) uploaded
# as one .tar.gz (image/build-local.sh makes it).
#
# Written for Debian's packer 1.6.6 (builders compiled in, no `packer init`).
# Current Packer (>= 1.7) also needs the plugins: see plugins.pkr.hcl.current.
# Validate offline: tests/image/packer_validate.sh.

# ----------------------------------------------------------------- common
variable "version" {
  type        = string
  default     = "0.0.0"
  description = "Radflare version (radflare version); part of the AMI name and tags."
}

variable "manifest" {
  type        = string
  default     = "build/image/manifest.json"
  description = "Where Packer records what it built (the AMI id, the qcow2)."
}

variable "stage_tar" {
  type        = string
  default     = "build/image/stage.tar.gz"
  description = "The staging folder packed as a .tar.gz (image/build-local.sh --stage-only makes it)."
}

# ----------------------------------------------------------------- amazon-ebs
variable "base" {
  type        = string
  default     = "ubuntu"
  description = "Base AMI: \"ubuntu\" (Canonical's Ubuntu 24.04) or \"debian\" (the official Debian 12, the exact twin of qemu.local)."
  validation {
    condition     = contains(["ubuntu", "debian"], var.base)
    error_message = "The base variable must be \"ubuntu\" or \"debian\"."
  }
}

variable "region" {
  type    = string
  default = "eu-central-1"
}

variable "instance_type" {
  type    = string
  default = "t3.medium"
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet of the build instance (empty: the default VPC's). It needs outbound internet for apt."
}

variable "volume_size" {
  type        = number
  default     = 20
  description = "Root volume of the AMI, GiB (encrypted gp3)."
}

variable "kms_key_id" {
  type        = string
  default     = ""
  description = "KMS key for the encrypted root volume (empty: the account's default EBS key)."
}

variable "ami_users" {
  type        = list(string)
  default     = []
  description = "AWS account ids that may launch the AMI (empty: this account only)."
}

# ----------------------------------------------------------------- qemu
variable "base_disk" {
  type        = string
  default     = "build/image/work/disk.raw"
  description = "Raw ext4 disk of the Debian 12 base with this build's ssh key (image/build-local.sh)."
}

variable "kernel" {
  type    = string
  default = "build/image/base/vmlinuz"
}

variable "initrd" {
  type    = string
  default = "build/image/base/initrd.img"
}

variable "ssh_key" {
  type        = string
  default     = "build/image/work/build_key"
  description = "Private half of the build-only ssh key (made per build, deleted after it)."
}

variable "output_dir" {
  type    = string
  default = "build/image/packer-out"
}

variable "accelerator" {
  type        = string
  default     = "tcg"
  description = "qemu accelerator: tcg (KVM is not usable on PVM-nested hosts; build-local.sh picks)."
}

variable "cpus" {
  type    = number
  default = 2
}

variable "memory" {
  type    = number
  default = 2048
}

variable "console_log" {
  type        = string
  default     = "build/image/work/console.log"
  description = "Serial console of the build VM (boot and provisioning diagnostics)."
}

locals {
  stamp = formatdate("YYYYMMDD-hhmmss", timestamp())
  bases = {
    ubuntu = {
      owner       = "099720109477"
      name        = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
      user        = "ubuntu"
      root_device = "/dev/sda1"
      os          = "Ubuntu 24.04"
    }
    debian = {
      owner       = "136693071363"
      name        = "debian-12-amd64-*"
      user        = "admin"
      root_device = "/dev/xvda"
      os          = "Debian 12"
    }
  }
  aws_base = local.bases[var.base]
  tags = {
    Name      = "radflare-${var.version}"
    Project   = "radflare"
    Version   = var.version
    Base      = local.aws_base.os
    BuiltAt   = local.stamp
    BuiltWith = "packer"
  }
}

source "amazon-ebs" "aws" {
  region        = var.region
  instance_type = var.instance_type
  subnet_id     = var.subnet_id

  source_ami_filter {
    filters = {
      name                = local.aws_base.name
      architecture        = "x86_64"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = [local.aws_base.owner]
    most_recent = true
  }
  ssh_username = local.aws_base.user
  ssh_timeout  = "15m"

  ami_name        = "radflare-${var.version}-${var.base}-${local.stamp}"
  ami_description = "Radflare ${var.version}: Orthanc + PostgreSQL + nginx + OHIF, configured by /etc/radflare.toml (${local.aws_base.os})"
  ami_users       = var.ami_users
  ena_support     = true
  sriov_support   = true

  # Encrypted gp3 root; the AMI's snapshot inherits the encryption.
  launch_block_device_mappings {
    device_name           = local.aws_base.root_device
    volume_size           = var.volume_size
    volume_type           = "gp3"
    iops                  = 3000 # gp3 baseline (1.6.6 insists on explicit values)
    throughput            = 125
    encrypted             = true
    kms_key_id            = var.kms_key_id
    delete_on_termination = true
  }

  # IMDSv2: Packer 1.6.6 knows neither metadata_options nor imds_support, so
  # the build sets both with the AWS CLI (a shell-local step right after the
  # instance is up, and a post-processor on the AMI). With current Packer you
  # may use metadata_options { http_tokens = "required" } and
  # imds_support = "v2.0" here instead (see plugins.pkr.hcl.current).

  tags          = local.tags
  snapshot_tags = local.tags
  run_tags      = merge(local.tags, { Name = "radflare-${var.version}-packer-build" })
}

source "qemu" "local" {
  # The base is a raw ext4 disk (no partition table, no bootloader): Packer
  # converts it into the qcow2 it boots, and the kernel is booted directly.
  disk_image       = true
  iso_url          = var.base_disk
  iso_checksum     = "none"
  skip_resize_disk = true # else the disk grows to Packer's 40 GB default
  disk_interface   = "virtio"
  disk_discard     = "unmap" # fstrim at the end gives freed blocks back
  format           = "qcow2"
  output_directory = var.output_dir
  vm_name          = "radflare.qcow2"

  accelerator = var.accelerator
  cpus        = var.cpus
  memory      = var.memory
  headless    = true
  net_device  = "virtio-net"

  # qemuargs replaces Packer's default for the same flag: direct kernel boot,
  # a serial console log, and the ssh forward on loopback only (Packer's own
  # listens on 0.0.0.0).
  qemuargs = [
    ["-kernel", var.kernel],
    ["-initrd", var.initrd],
    ["-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0 systemd.mask=e2scrub_reap.service systemd.mask=apt-daily.timer systemd.mask=apt-daily-upgrade.timer"],
    ["-cpu", "max"],
    ["-serial", "file:${var.console_log}"],
    ["-netdev", "user,id=user.0,hostfwd=tcp:127.0.0.1:{{ .SSHHostPort }}-:22"],
  ]

  communicator         = "ssh"
  ssh_username         = "admin"
  ssh_private_key_file = var.ssh_key
  ssh_timeout          = "20m"
  host_port_min        = 2300
  host_port_max        = 2399
  shutdown_command     = "sudo systemctl poweroff"
  shutdown_timeout     = "10m"
}

build {
  sources = ["source.amazon-ebs.aws", "source.qemu.local"]

  # The build instance answers IMDSv2 only from here on.
  provisioner "shell-local" {
    only   = ["amazon-ebs.aws"]
    inline = ["aws ec2 modify-instance-metadata-options --region ${var.region} --instance-id ${build.ID} --http-tokens required --http-endpoint enabled >/dev/null && echo 'image: build instance ${build.ID}: IMDSv2 required'"]
  }

  # The staging folder as one compressed file: one transfer instead of ~260
  # files, 70 MB instead of 213 MB.
  provisioner "file" {
    source      = var.stage_tar
    destination = "/tmp/radflare-stage.tar.gz"
  }

  # The shared provisioning, as root. 90-cleanup (the last step) removes the
  # build's login keys; the open ssh connection survives for what follows.
  provisioner "shell" {
    execute_command  = "chmod +x {{ .Path }}; sudo env {{ .Vars }} bash {{ .Path }}"
    environment_vars = ["RADFLARE_STAGE=/tmp/radflare-stage"]
    inline = [
      "set -eu",
      "# On EC2, cloud-init may still be setting the instance up (and holding apt).",
      "if command -v cloud-init >/dev/null; then cloud-init status --wait >/dev/null || true; fi",
      "echo \"image: unpacking the stage ($(du -h /tmp/radflare-stage.tar.gz | cut -f1))\"",
      "rm -rf \"$RADFLARE_STAGE\" && mkdir -m 0755 \"$RADFLARE_STAGE\"",
      "tar -xzf /tmp/radflare-stage.tar.gz -C \"$RADFLARE_STAGE\" --no-same-owner",
      "rm -f /tmp/radflare-stage.tar.gz",
      "bash \"$RADFLARE_STAGE/scripts/provision.sh\"",
      "fstrim -v / || true",
    ]
  }

  # The local twin boots with -kernel/-initrd: take the ones provisioning left.
  provisioner "file" {
    only        = ["qemu.local"]
    direction   = "download"
    source      = "/vmlinuz"
    destination = "${var.output_dir}/vmlinuz"
  }
  provisioner "file" {
    only        = ["qemu.local"]
    direction   = "download"
    source      = "/initrd.img"
    destination = "${var.output_dir}/initrd.img"
  }

  post-processors {
    post-processor "manifest" {
      output     = var.manifest
      strip_path = true
    }
    # ImdsSupport=v2.0 on the AMI (see metadata_options above).
    post-processor "shell-local" {
      only = ["amazon-ebs.aws"]
      inline = [
        "ami=$(jq -r '.builds[-1].artifact_id' '${var.manifest}' | cut -d: -f2)",
        "if command -v aws >/dev/null; then aws ec2 modify-image-attribute --region ${var.region} --image-id \"$ami\" --imds-support v2.0 && echo \"image: $ami requires IMDSv2\"; else echo \"image: no aws CLI; run: aws ec2 modify-image-attribute --region ${var.region} --image-id $ami --imds-support v2.0\"; fi",
      ]
    }
  }
}
