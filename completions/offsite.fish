# fish completion for offsite

set -l commands register init backup restore snapshots ls diff dump mount find forget version config test-connection firewall-rules check prune repair stats tag copy key schedule unlock unregister
complete -c offsite -f

# Global options
complete -c offsite -l config-dir -r -a '(__fish_complete_directories)' -d 'Configuration and credentials directory'
complete -c offsite -l cache-dir -r -a '(__fish_complete_directories)' -d 'Cache directory'
complete -c offsite -s r -l repo -r -a '(__fish_complete_directories)' -d 'Local repository directory'
complete -c offsite -l password-file -r -F -d 'Read the passphrase from a file'
complete -c offsite -l password-command -r -d 'Command that prints the passphrase'
complete -c offsite -l json -d 'Print JSON on stdout'
complete -c offsite -s q -l quiet -d 'Print only errors'
complete -c offsite -s v -l verbose -d 'Print more detail'
complete -c offsite -l no-progress -d 'Do not draw a progress line'
complete -c offsite -l retry-lock -r -d 'Wait this long for another client lock'
complete -c offsite -l proxy -r -a 'socks5:// socks5h:// socks4:// socks4a:// http:// mapped:// direct' -d 'Proxy URL'
complete -c offsite -l map -r -d 'For mapped://: SERVER_IP=PORT (repeatable)'
complete -c offsite -l source-ports -r -d 'Bind local ports into LOW-HIGH'
complete -c offsite -l no-proxy -d 'Ignore ALL_PROXY, HTTPS_PROXY and NO_PROXY'
complete -c offsite -l proxy-password-file -r -F -d 'Read the proxy password from a file'
complete -c offsite -l limit-upload -x -d 'Send at most this many KiB per second'
complete -c offsite -l limit-download -x -d 'Receive at most this many KiB per second'
complete -c offsite -l version -d 'Print the version'
complete -c offsite -s h -l help -d 'Show help'

# Commands
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a register -d 'Create an account at the data centre, or attach to one'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a init -d 'Create a local repository'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a backup -d 'Back up files and directories'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a restore -d 'Restore a snapshot'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a snapshots -d 'List snapshots'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a ls -d 'List the files in a snapshot'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a diff -d 'Show what changed between two snapshots'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a dump -d 'Write a file to stdout, or a directory as a tar or zip archive'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a mount -d 'Show every snapshot as a read-only file system (FUSE)'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a find -d 'Find which snapshots hold files matching a pattern'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a forget -d 'Remove snapshots by ID or by a retention policy'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a check -d 'Verify the repository'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a prune -d 'Remove data no snapshot references'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a repair -d 'Rebuild the index from the packs, remove damaged snapshots'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a stats -d 'Show repository statistics'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a tag -d 'Add, remove or set the tags of snapshots'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a copy -d 'Copy snapshots from a local repository into the account, or back'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a test-connection -d 'Check every server step by step'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a firewall-rules -d 'Print what a firewall must allow'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a version -d 'Print the version'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a config -d 'Show or change the configuration'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a key -d 'Change, add or remove passphrases, list key files, export the key'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a schedule -d 'Install, show or remove a daily backup'

# register
complete -c offsite -n '__fish_seen_subcommand_from register' -l registration -r -d 'Registration pair IP:PORT,IP:PORT'
complete -c offsite -n '__fish_seen_subcommand_from register' -l subnet -r -d 'A data-centre subnet (CIDR)'
complete -c offsite -n '__fish_seen_subcommand_from register' -l fingerprint -r -d 'The data centre identity, sha256:HEX'
complete -c offsite -n '__fish_seen_subcommand_from register' -l code -r -d 'Invitation code'
complete -c offsite -n '__fish_seen_subcommand_from register' -l existing -r -d 'Attach to an existing account'
complete -c offsite -n '__fish_seen_subcommand_from register' -l secret-file -r -F -d 'The account secret, for --existing'

# backup
complete -c offsite -n '__fish_seen_subcommand_from backup' -F
complete -c offsite -n '__fish_seen_subcommand_from backup' -s e -l exclude -r -d 'Exclude paths matching a pattern'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l exclude-file -r -F -d 'Read exclude patterns from a file'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l exclude-caches -d 'Skip directories with CACHEDIR.TAG'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l exclude-if-present -r -d 'Skip directories holding an entry of this name'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l files-from -r -F -d 'Back up the paths listed in a file'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l files-from-verbatim -r -F -d 'Back up the paths listed in a file, taken literally'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l parent -x -d 'Compare with this snapshot'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l force -d 'Read every file again'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l skip-if-unchanged -d 'Save no snapshot when nothing changed'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l iexclude -r -d 'Exclude paths matching a pattern, ignoring case'
complete -c offsite -n '__fish_seen_subcommand_from backup' -s x -l one-file-system -d 'Stay on one file system'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l tag -r -d 'Tag the snapshot'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l host -r -d 'Record this host name'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l stdin -d 'Back up standard input'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l stdin-filename -r -d 'File name for --stdin'
complete -c offsite -n '__fish_seen_subcommand_from backup' -s n -l dry-run -d 'Store nothing'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l accept-rollback -d 'Back up although the repository looks rolled back'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l compression -r -d 'zstd level 1-19'
complete -c offsite -n '__fish_seen_subcommand_from backup' -l time -r -d 'Record this time'

# restore
complete -c offsite -n '__fish_seen_subcommand_from restore' -s n -l dry-run -d 'Only show what would be written, overwritten, kept and deleted'
complete -c offsite -n '__fish_seen_subcommand_from restore' -l delete -d 'Remove what the target holds that the snapshot does not'
complete -c offsite -n '__fish_seen_subcommand_from restore' -s t -l target -r -a '(__fish_complete_directories)' -d 'Directory to restore into'
complete -c offsite -n '__fish_seen_subcommand_from restore' -s i -l include -r -d 'Restore only matching paths'
complete -c offsite -n '__fish_seen_subcommand_from restore' -s e -l exclude -r -d 'Skip matching paths'
complete -c offsite -n '__fish_seen_subcommand_from restore' -l verify -d 'Read back and compare'
complete -c offsite -n '__fish_seen_subcommand_from restore' -l overwrite -r -a 'always if-changed never' -d 'Policy for existing files'
complete -c offsite -n '__fish_seen_subcommand_from restore' -l host -r -d 'Only this host, for latest'
complete -c offsite -n '__fish_seen_subcommand_from restore' -l tag -r -d 'Only these tags, for latest'
complete -c offsite -n '__fish_seen_subcommand_from restore' -l path -r -d 'Only snapshots including this path, for latest'

# check
complete -c offsite -n '__fish_seen_subcommand_from check' -l read-data -d 'Download and authenticate every pack'
complete -c offsite -n '__fish_seen_subcommand_from check' -l read-data-subset -r -d 'Read only N% or group n/m of the packs'

# prune
complete -c offsite -n '__fish_seen_subcommand_from prune' -s n -l dry-run -d 'Show the plan, change nothing'
complete -c offsite -n '__fish_seen_subcommand_from prune' -l max-repack-unused -r -d 'Repack packs more unused than PERCENT'

# snapshots
complete -c offsite -n '__fish_seen_subcommand_from snapshots; and not __fish_seen_subcommand_from repair' -l host -r -d 'Only this host'
complete -c offsite -n '__fish_seen_subcommand_from snapshots; and not __fish_seen_subcommand_from repair' -l tag -r -d 'Only these tags'
complete -c offsite -n '__fish_seen_subcommand_from snapshots; and not __fish_seen_subcommand_from repair' -l path -r -d 'Only this path'
complete -c offsite -n '__fish_seen_subcommand_from snapshots; and not __fish_seen_subcommand_from repair' -l latest -r -d 'Only the newest N'
complete -c offsite -n '__fish_seen_subcommand_from snapshots; and not __fish_seen_subcommand_from repair' -l accept-rollback -d 'Accept the state of a repository that looks rolled back'
complete -c offsite -n '__fish_seen_subcommand_from snapshots; and not __fish_seen_subcommand_from repair' -l group-by -x -a 'host,paths host paths tags host,tags paths,tags host,paths,tags' -d 'Show groups of host, paths and/or tags'
complete -c offsite -n '__fish_seen_subcommand_from snapshots; and not __fish_seen_subcommand_from repair' -s c -l compact -d 'Leave out the Paths column'
complete -c offsite -n '__fish_seen_subcommand_from stats' -l host -r -d 'Only this host'
complete -c offsite -n '__fish_seen_subcommand_from stats' -l tag -r -d 'Only these tags'
complete -c offsite -n '__fish_seen_subcommand_from stats' -l path -r -d 'Only this path'
complete -c offsite -n '__fish_seen_subcommand_from stats' -l mode -x -a 'restore-size raw-data' -d 'What to count'
complete -c offsite -n '__fish_seen_subcommand_from tag' -l add -x -d 'Add these tags'
complete -c offsite -n '__fish_seen_subcommand_from tag' -l remove -x -d 'Remove these tags'
complete -c offsite -n '__fish_seen_subcommand_from tag' -l set -x -d 'Replace all tags with these'
complete -c offsite -n '__fish_seen_subcommand_from tag' -l host -r -d 'Only this host'
complete -c offsite -n '__fish_seen_subcommand_from tag' -l tag -r -d 'Only these tags'
complete -c offsite -n '__fish_seen_subcommand_from tag' -l path -r -d 'Only this path'
complete -c offsite -n '__fish_seen_subcommand_from copy' -l from-repo -r -a '(__fish_complete_directories)' -d 'Copy from this local repository'
complete -c offsite -n '__fish_seen_subcommand_from copy' -l from-account -d 'Copy from the account'
complete -c offsite -n '__fish_seen_subcommand_from copy' -l from-password-file -r -F -d 'Read the source passphrase from a file'
complete -c offsite -n '__fish_seen_subcommand_from copy' -l from-password-command -x -d 'Run a command that prints the source passphrase'
complete -c offsite -n '__fish_seen_subcommand_from copy' -s n -l dry-run -d 'Only say which snapshots would be copied'
complete -c offsite -n '__fish_seen_subcommand_from copy' -l host -r -d 'Only this host'
complete -c offsite -n '__fish_seen_subcommand_from copy' -l tag -r -d 'Only these tags'
complete -c offsite -n '__fish_seen_subcommand_from copy' -l path -r -d 'Only this path'

# ls
complete -c offsite -n '__fish_seen_subcommand_from ls' -s l -l long -d 'Long format'
complete -c offsite -n '__fish_seen_subcommand_from ls' -s R -l recursive -d 'With PATH: everything below it'
complete -c offsite -n '__fish_seen_subcommand_from ls' -l host -r -d 'Only this host, for latest'
complete -c offsite -n '__fish_seen_subcommand_from ls' -l tag -r -d 'Only these tags, for latest'
complete -c offsite -n '__fish_seen_subcommand_from ls' -l path -r -d 'Only snapshots including this path, for latest'

# diff
complete -c offsite -n '__fish_seen_subcommand_from diff' -l host -r -d 'Only this host, for latest'
complete -c offsite -n '__fish_seen_subcommand_from diff' -l tag -r -d 'Only these tags, for latest'
complete -c offsite -n '__fish_seen_subcommand_from diff' -l path -r -d 'Only snapshots including this path, for latest'

# find
complete -c offsite -n '__fish_seen_subcommand_from find' -s s -l snapshot -x -d 'Search only this snapshot'
complete -c offsite -n '__fish_seen_subcommand_from find' -l host -r -d 'Only snapshots of this host'
complete -c offsite -n '__fish_seen_subcommand_from find' -l tag -r -d 'Only snapshots with these tags'
complete -c offsite -n '__fish_seen_subcommand_from find' -l path -r -d 'Only snapshots including this path'
complete -c offsite -n '__fish_seen_subcommand_from find' -s N -l newest -x -d 'Only entries modified at or before TIME'
complete -c offsite -n '__fish_seen_subcommand_from find' -s O -l oldest -x -d 'Only entries modified at or after TIME'
complete -c offsite -n '__fish_seen_subcommand_from find' -s l -l long -d 'Show type, mode, owner and group too'
# dump
complete -c offsite -n '__fish_seen_subcommand_from dump' -s a -l archive -x -a 'tar zip' -d 'Archive format'
complete -c offsite -n '__fish_seen_subcommand_from dump' -s t -l target -r -d 'Write to this file instead of stdout'
complete -c offsite -n '__fish_seen_subcommand_from dump' -l host -r -d 'Only this host, for latest'
complete -c offsite -n '__fish_seen_subcommand_from dump' -l tag -r -d 'Only these tags, for latest'
complete -c offsite -n '__fish_seen_subcommand_from dump' -l path -r -d 'Only snapshots including this path, for latest'

# forget
complete -c offsite -n '__fish_seen_subcommand_from forget' -l keep-last -r -d 'Keep the N newest snapshots'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l keep-hourly -r -d 'Keep the newest of each of N hours'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l keep-daily -r -d 'Keep the newest of each of N days'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l keep-weekly -r -d 'Keep the newest of each of N weeks'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l keep-monthly -r -d 'Keep the newest of each of N months'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l keep-yearly -r -d 'Keep the newest of each of N years'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l keep-within -r -d 'Keep snapshots this close to the newest'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l keep-tag -r -d 'Keep snapshots with these tags'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l group-by -r -a 'host,paths host paths tags' -d 'Group by these fields'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l host -r -d 'Only this host'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l tag -r -d 'Only these tags'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l path -r -d 'Only snapshots including this path'
complete -c offsite -n '__fish_seen_subcommand_from forget' -s n -l dry-run -d 'Show what would be removed, remove nothing'
complete -c offsite -n '__fish_seen_subcommand_from forget' -l prune -d 'Then remove the data no snapshot references'

# config
set -l config_keys proxy map source_ports no_proxy proxy_password_file fingerprint subnets registration
complete -c offsite -n '__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from show set unset' -a show -d 'Print the configuration'
complete -c offsite -n '__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from show set unset' -a set -d 'Set keys: KEY VALUE...'
complete -c offsite -n '__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from show set unset' -a unset -d 'Remove keys'
complete -c offsite -n '__fish_seen_subcommand_from config; and __fish_seen_subcommand_from set unset' -a "$config_keys" -d 'Configuration key'

# test-connection
complete -c offsite -n '__fish_seen_subcommand_from test-connection' -l detect -d 'Try direct, then the proxies found'
complete -c offsite -n '__fish_seen_subcommand_from test-connection' -l save -d 'With --detect: keep the path that works'
complete -c offsite -n '__fish_seen_subcommand_from test-connection' -l timeout -r -d 'Seconds per step'

# firewall-rules
complete -c offsite -n '__fish_seen_subcommand_from firewall-rules' -l format -r -a 'text json iptables nftables pf ufw firewalld windows cisco' -d 'Output format'
complete -c offsite -n '__fish_seen_subcommand_from firewall-rules' -l inbound -d 'Also allow return traffic'

# unlock, unregister
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a unlock -d 'Remove stale locks of crashed or killed commands'
complete -c offsite -n "not __fish_seen_subcommand_from $commands" -a unregister -d 'Cancel the account and delete its backups'
complete -c offsite -n '__fish_seen_subcommand_from unlock' -l force -d 'Remove live locks too'
complete -c offsite -n '__fish_seen_subcommand_from unregister' -l yes -d 'Do not ask for confirmation'

# repair
complete -c offsite -n '__fish_seen_subcommand_from repair; and not __fish_seen_subcommand_from index snapshots' -a index -d 'Rebuild the index from the pack headers'
complete -c offsite -n '__fish_seen_subcommand_from repair; and not __fish_seen_subcommand_from index snapshots' -a snapshots -d 'Remove snapshots that cannot be read'
complete -c offsite -n '__fish_seen_subcommand_from repair; and __fish_seen_subcommand_from index snapshots' -s n -l dry-run -d 'Show what would change, change nothing'

# key
complete -c offsite -n '__fish_seen_subcommand_from key; and not __fish_seen_subcommand_from passwd list add remove export' -a passwd -d 'Change the passphrase'
complete -c offsite -n '__fish_seen_subcommand_from key; and not __fish_seen_subcommand_from passwd list add remove export' -a list -d 'List the key files'
complete -c offsite -n '__fish_seen_subcommand_from key; and not __fish_seen_subcommand_from passwd list add remove export' -a export -d 'Write the master key to a new 0600 file'
complete -c offsite -n '__fish_seen_subcommand_from key; and not __fish_seen_subcommand_from passwd list add remove export' -a add -d 'Add another passphrase'
complete -c offsite -n '__fish_seen_subcommand_from key; and not __fish_seen_subcommand_from passwd list add remove export' -a remove -d 'Remove a key file by ID'
complete -c offsite -n '__fish_seen_subcommand_from key; and __fish_seen_subcommand_from add' -l new-password-file -r -F -d 'Read the new passphrase from a file'
complete -c offsite -n '__fish_seen_subcommand_from key; and __fish_seen_subcommand_from passwd' -l new-password-file -r -F -d 'Read the new passphrase from a file'
complete -c offsite -n '__fish_seen_subcommand_from key; and __fish_seen_subcommand_from passwd' -l from-export -r -F -d 'Set a passphrase from a key export file'
complete -c offsite -n '__fish_seen_subcommand_from key; and __fish_seen_subcommand_from export' -s o -l output -r -F -d 'The file to create (- for stdout)'

# schedule
complete -c offsite -n '__fish_seen_subcommand_from schedule; and not __fish_seen_subcommand_from install show remove' -a install -d 'Install a daily backup'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and not __fish_seen_subcommand_from install show remove' -a show -d 'Show the scheduled backup'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and not __fish_seen_subcommand_from install show remove' -a remove -d 'Remove the scheduled backup'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -F
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l daily -r -d 'Time of day to run, HH:MM'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l method -r -f -a 'auto systemd cron' -d 'Where to install the job'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -s e -l exclude -r -d 'Exclude paths matching a pattern'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l exclude-file -r -F -d 'Read exclude patterns from a file'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l exclude-caches -d 'Skip directories with CACHEDIR.TAG'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l exclude-if-present -r -d 'Skip directories holding an entry of this name'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l files-from -r -F -d 'Back up the paths listed in a file'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l files-from-verbatim -r -F -d 'Back up the paths listed in a file, taken literally'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l parent -x -d 'Compare with this snapshot'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l force -d 'Read every file again'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l skip-if-unchanged -d 'Save no snapshot when nothing changed'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l iexclude -r -d 'Exclude paths matching a pattern, ignoring case'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -s x -l one-file-system -d 'Stay on one file system'
complete -c offsite -n '__fish_seen_subcommand_from schedule; and __fish_seen_subcommand_from install' -l tag -r -d 'Tag the snapshot'
