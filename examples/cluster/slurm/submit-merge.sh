#!/bin/bash
# Submits the merge array, then the finish to run once every array task has succeeded.
set -euo pipefail
cd "$(dirname "$0")"
jid=$(sbatch --parsable merge.sbatch)
sbatch --dependency=afterok:"${jid%%;*}" merge-finish.sbatch
