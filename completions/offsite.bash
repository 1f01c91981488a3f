# bash completion for offsite                                  -*- shell-script -*-

_offsite() {
    local cur prev words cword
    _init_completion || return

    local global_opts="--config-dir --cache-dir -r --repo --password-file --password-command --json -q --quiet -v --verbose --no-progress --retry-lock --proxy --map --source-ports --no-proxy --proxy-password-file --limit-upload --limit-download --version -h --help"
    local commands="register init backup restore snapshots ls diff dump mount find forget tag copy version test-connection firewall-rules config check prune repair stats key schedule unlock unregister"

    # The first word that is not an option (or an option's value) is the command.
    local i command=""
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --config-dir | --cache-dir | -r | --repo | --password-file | --password-command | --retry-lock | --proxy | --map | --source-ports | --proxy-password-file | --limit-upload | --limit-download) ((i++)) ;;
            -*) ;;
            *) command=${words[i]}; break ;;
        esac
    done

    case $prev in
        --config-dir | --cache-dir | -r | --repo | --from-repo | -t | --target)
            _filedir -d; return ;;
        --password-file | --from-password-file | --exclude-file | --files-from | --files-from-verbatim | --secret-file | --proxy-password-file | --new-password-file | --from-export | -o | --output)
            _filedir; return ;;
        --method)
            COMPREPLY=($(compgen -W "auto systemd cron" -- "$cur")); return ;;
        --daily)
            return ;;
        --password-command)
            COMPREPLY=($(compgen -c -- "$cur")); return ;;
        --overwrite)
            COMPREPLY=($(compgen -W "always if-changed never" -- "$cur")); return ;;
        --format)
            COMPREPLY=($(compgen -W "text json iptables nftables pf ufw firewalld windows cisco" -- "$cur")); return ;;
        --timeout)
            return ;;
        --proxy)
            compopt -o nospace 2>/dev/null
            COMPREPLY=($(compgen -W "socks5:// socks5h:// socks4:// socks4a:// http:// mapped:// direct" -- "$cur")); return ;;
        --map | --source-ports | --retry-lock | --read-data-subset | --max-repack-unused | --limit-upload | --limit-download | --parent)
            return ;;
        --registration | --subnet | --fingerprint | --code | --existing | --compression | --tag | --host | --stdin-filename | --time | --latest | --path | -e | --exclude | -i | --include)
            return ;;
        --keep-last | --keep-hourly | --keep-daily | --keep-weekly | --keep-monthly | --keep-yearly | --keep-within | --keep-tag | --add | --remove | --set | --from-password-command)
            return ;;
        --group-by)
            COMPREPLY=($(compgen -W "host,paths host paths tags host,tags paths,tags host,paths,tags" -- "$cur")); return ;;
        --mode)
            COMPREPLY=($(compgen -W "restore-size raw-data" -- "$cur")); return ;;
    esac

    local opts
    case $command in
        "") COMPREPLY=($(compgen -W "$commands $global_opts" -- "$cur")); return ;;
        register) opts="--registration --subnet --fingerprint --code --existing --secret-file" ;;
        init) opts="" ;;
        backup) opts="-e --exclude --exclude-file --iexclude --exclude-caches --exclude-if-present --files-from --files-from-verbatim --parent --force --skip-if-unchanged -x --one-file-system --tag --host --stdin --stdin-filename -n --dry-run --accept-rollback --compression --time" ;;
        restore) opts="-t --target -i --include -e --exclude --verify --overwrite -n --dry-run --delete --host --tag --path" ;;
        snapshots) opts="--host --tag --path --latest --accept-rollback --group-by -c --compact" ;;
        ls) opts="-l --long -R --recursive --host --tag --path" ;;
        diff) opts="--host --tag --path" ;;
        dump) opts="-a --archive -t --target --host --tag --path" ;;
        mount) opts="" ;;
        find) opts="-s --snapshot --host --tag --path -N --newest -O --oldest -l --long" ;;
        forget) opts="--keep-last --keep-hourly --keep-daily --keep-weekly --keep-monthly --keep-yearly --keep-within --keep-tag --group-by --host --tag --path -n --dry-run --prune" ;;
        check) opts="--read-data --read-data-subset" ;;
        prune) opts="-n --dry-run --max-repack-unused" ;;
        stats) opts="--host --tag --path --mode" ;;
        tag) opts="--add --remove --set --host --tag --path" ;;
        copy) opts="--from-repo --from-account --from-password-file --from-password-command -n --dry-run --host --tag --path" ;;
        unlock) opts="--force" ;;
        unregister) opts="--yes" ;;
        test-connection) opts="--detect --save --timeout" ;;
        firewall-rules) opts="--format --inbound" ;;
        version) opts="" ;;
        config)
            # offsite config show|set|unset, then keys for set and unset.
            local action="" j
            for ((j = i + 1; j < cword; j++)); do
                [[ ${words[j]} != -* ]] && { action=${words[j]}; break; }
            done
            if [[ -z $action ]]; then
                COMPREPLY=($(compgen -W "show set unset" -- "$cur"))
            elif [[ $action == set || $action == unset ]]; then
                COMPREPLY=($(compgen -W "proxy map source_ports no_proxy proxy_password_file fingerprint subnets registration" -- "$cur"))
            fi
            return ;;
        repair)
            # offsite repair index|snapshots [--dry-run].
            local action="" j
            for ((j = i + 1; j < cword; j++)); do
                [[ ${words[j]} != -* ]] && { action=${words[j]}; break; }
            done
            if [[ -z $action ]]; then
                COMPREPLY=($(compgen -W "index snapshots" -- "$cur")); return
            fi
            opts="-n --dry-run" ;;
        key | schedule)
            # offsite key passwd|list|add|remove|export, offsite schedule install|show|remove.
            local action="" j
            for ((j = i + 1; j < cword; j++)); do
                [[ ${words[j]} != -* ]] && { action=${words[j]}; break; }
            done
            if [[ -z $action && $command == key ]]; then
                COMPREPLY=($(compgen -W "passwd list add remove export" -- "$cur")); return
            elif [[ -z $action ]]; then
                COMPREPLY=($(compgen -W "install show remove" -- "$cur")); return
            fi
            case $action in
                passwd) opts="--new-password-file --from-export" ;;
                add) opts="--new-password-file" ;;
                export) opts="-o --output" ;;
                install)
                    opts="--daily --method --password-file --json -q --quiet -v --verbose -e --exclude --exclude-file --iexclude --exclude-caches --exclude-if-present --files-from --files-from-verbatim --parent --force --skip-if-unchanged -x --one-file-system --tag --host -n --dry-run --compression"
                    [[ $cur == -* ]] || { _filedir; return; } ;;
                *) opts="" ;;
            esac ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts -h --help" -- "$cur"))
    elif [[ $command == backup ]]; then
        _filedir
    fi
}
complete -F _offsite offsite
