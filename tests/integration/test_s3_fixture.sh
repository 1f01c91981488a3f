#!/usr/bin/env bash
# The Ceph fixture the S3 tests stand on (tests/tools/ceph-cluster): the
# cluster the CTest fixture `ceph` started answers signed S3 requests with
# the keys it wrote (0600), and a second cluster runs beside it on another
# port range, then stops by PID, leaving no daemon behind.
source "$(dirname "$0")/lib.sh"

: "${OFFSITE_TEST_S3_DIR:?the ceph fixture is not up (run through ctest: fixture ceph)}"
cluster=$OFFSITE_TEST_S3_DIR
[[ -s $cluster/endpoint && -s $cluster/credentials ]] || fail "no endpoint or credentials in $cluster"
[[ $(stat -c %a "$cluster/credentials") == 600 ]] || fail "the credentials file is not 0600"

# signed_get DIR PATH: an S3 GET signed with the cluster's keys; prints the status.
signed_get() {
  local dir=$1 path=$2 key secret
  key=$(awk '$1 == "aws_access_key_id" {print $3}' "$dir/credentials")
  secret=$(awk '$1 == "aws_secret_access_key" {print $3}' "$dir/credentials")
  # The keys reach curl through a config file on stdin, never argv.
  printf 'user = "%s:%s"\n' "$key" "$secret" |
    curl -s -o /dev/null -w '%{http_code}' --max-time 10 -K - --aws-sigv4 "aws:amz:us-east-1:s3" \
      -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" "$(<"$dir/endpoint")$path"
}
[[ $(signed_get "$cluster" /) == 200 ]] || fail "the fixture's S3 refused a signed ListBuckets"

# A second cluster beside the first (S3 on 17500, mon and OSD in 17501-17519).
second=$WORK/ceph
bash "$TESTS_DIR/tools/ceph-cluster" start "$second" 17500 >"$WORK/second.log" 2>&1 ||
  fail "a second cluster did not start: $(tail -n 30 "$WORK/second.log")"
trap 'bash "$TESTS_DIR/tools/ceph-cluster" stop "$second" || true; cleanup' EXIT
[[ $(<"$second/endpoint") == http://127.0.0.1:17500 ]] || fail "wrong endpoint $(<"$second/endpoint")"
[[ $(signed_get "$second" /) == 200 ]] || fail "the second cluster refused a signed request"
[[ $(signed_get "$cluster" /) == 200 ]] || fail "the fixture stopped answering beside the second"
# The keys of one cluster mean nothing to the other.
cp "$cluster/endpoint" "$WORK/endpoint"
cp "$second/credentials" "$WORK/credentials"
[[ $(signed_get "$WORK" /) == 403 ]] || fail "the fixture accepted another cluster's keys"

pids=$(cat "$second"/run/*.pid)
bash "$TESTS_DIR/tools/ceph-cluster" stop "$second" || fail "the second cluster did not stop"
for pid in $pids; do
  ! kill -0 "$pid" 2>/dev/null || fail "daemon $pid of the second cluster still runs"
done
[[ $(signed_get "$cluster" /) == 200 ]] || fail "stopping the second cluster disturbed the fixture"
echo "ok"
