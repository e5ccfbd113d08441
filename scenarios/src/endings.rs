//! How a history stream ends on every transport (issue 11 found them differing): after an
//! error it ends (one error, then nothing; starting again works), and after `destroy()` it
//! ends with one `SDK_DESTROYED`, never repeating it.

use livechat_core::ErrorCode;
use livechat_core::customer::CustomerApi;

use crate::{Env, Transport};

/// More than a stream that ended can yield; a stream that repeats its error reaches it.
const AT_MOST: usize = 5;

pub fn history_after_an_error_ends<T: Transport>() {
    let env = Env::new("history-error");
    let (client, _events) = env.customer::<T>();
    let pages: Vec<_> = T::history_pages(&client, "NO_SUCH_CHAT").take(AT_MOST).collect();
    assert_eq!(pages.len(), 1, "one error, then the end: {pages:?}");
    assert!(pages[0].is_err(), "{pages:?}");
    // The session is unharmed: a real chat's history pages to its end.
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");
    T::wait(client.send_message(&chat.chat_id, "hello")).expect("send");
    let pages = T::history(&client, &chat.chat_id);
    assert!(pages.last().is_some_and(|p| p.as_ref().is_ok_and(|p| p.done)), "{pages:?}");
    T::wait(client.destroy()).expect("destroy");
}

pub fn history_after_destroy_ends_without_repeating_the_error<T: Transport>() {
    let env = Env::new("history-destroy");
    let (client, _events) = env.customer::<T>();
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");
    let pages = T::history_pages(&client, &chat.chat_id);
    T::wait(client.destroy()).expect("destroy");
    let pages: Vec<_> = pages.take(AT_MOST).collect();
    assert_eq!(pages.len(), 1, "one error, then the end: {pages:?}");
    let e = pages[0].as_ref().expect_err("a destroyed client pages nothing");
    assert_eq!(e.code, ErrorCode::SdkDestroyed, "{e:?}");
}
