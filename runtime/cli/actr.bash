# bash completion of the actr tool (installed by `make install` into
# share/bash-completion/completions/actr): commands, options, and actor
# names from `actr ps --json` for the commands that take NAME|URL.
_actr_names()
{
    local reg=() i
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == --registry ]] && reg+=(--registry "${COMP_WORDS[i+1]}")
    done
    actr ps --json "${reg[@]}" 2>/dev/null | sed -n 's/^ *{"name": "\([^"]*\)".*/\1/p'
}

_actr()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local cmds="ps call stream endpoints cancel help"
    if ((COMP_CWORD == 1)); then
        COMPREPLY=($(compgen -W "$cmds --help" -- "$cur"))
        return
    fi
    case $prev in
        --registry) COMPREPLY=($(compgen -W "tcp://127.0.0.1:1616 unix://" -- "$cur")); return ;;
        --timeout|--json) return ;;
    esac
    local cmd=${COMP_WORDS[1]} opts="--registry --timeout --help" npos=0 i
    for ((i = 2; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --registry|--timeout) ((i++)) ;;
            -*) ;;
            *) ((npos++)) ;;
        esac
    done
    case $cmd in
        ps) opts="--registry --json --tree --help" ;;
        endpoints) opts+=" --json" ;;
        call|stream) ((npos >= 2)) && opts+=" --json" ;;
    esac
    if [[ $cur == -* || $cmd == ps ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif ((npos == 0)) && [[ $cmd =~ ^(call|stream|endpoints|cancel)$ ]]; then
        COMPREPLY=($(compgen -W "$(_actr_names)" -- "$cur"))
    fi
}
complete -F _actr actr
