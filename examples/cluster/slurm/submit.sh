#!/bin/bash
# Submits the sweep array, then the reduce to run once every array task has succeeded.
set -euo pipefail
cd "$(dirname "$0")"
jid=$(sbatch --parsable sweep.sbatch)
sbatch --dependency=afterok:"${jid%%;*}" reduce.sbatch
