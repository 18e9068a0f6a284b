terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100.0"
    }
  }
}

provider "aws" {
  region = "ap-northeast-2"

  default_tags {
    tags = {
      Project     = "popcorn"
      Environment = "example"
      ManagedBy   = "terraform"
      Module      = "rds"
    }
  }
}
