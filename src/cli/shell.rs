//! `completions SHELL` and `man`: generated from the command-line definition itself, so
//! they cannot drift from `--help`.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;
use super::exit::{Failure, finish};
use super::output::print_raw;

#[derive(Debug, clap::Args)]
#[command(after_help = "Install (see README.md):\n  \
bash: eps-tracker completions bash > ~/.local/share/bash-completion/completions/eps-tracker\n  \
zsh: eps-tracker completions zsh > ~/.zfunc/_eps-tracker (with fpath+=~/.zfunc before compinit)\n  \
fish: eps-tracker completions fish > ~/.config/fish/completions/eps-tracker.fish\n  \
powershell: eps-tracker completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells we generate for (clap_complete knows more, such as elvish; these are the
/// ones documented and tested).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

pub(super) fn completions(args: &CompletionsArgs) -> ExitCode {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "eps-tracker", &mut script);
    finish(print_raw(&String::from_utf8_lossy(&script)))
}

pub(super) fn man() -> ExitCode {
    let mut page = Vec::new();
    let result = clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| Failure::usage("cannot render the manual page").caused_by(&e))
        .and_then(|()| print_raw(&String::from_utf8_lossy(&page)));
    finish(result)
}
