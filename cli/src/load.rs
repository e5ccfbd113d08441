//! `livechat load`: many concurrent customers against the embedded simulator.

#[derive(clap::Args, Debug)]
pub struct Args {}

pub async fn run(_args: Args, _debug: bool) -> i32 {
    eprintln!("livechat load: not implemented yet");
    2
}
