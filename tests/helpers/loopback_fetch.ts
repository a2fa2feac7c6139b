// Plain requests to a loopback listener from the unit tests of lib/auth: whether anything still
// listens, and what a page answers.

/** Whether nothing listens at `url` any more (the connection is refused). */
export async function refused(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.body?.cancel();
    return false;
  } catch {
    return true;
  }
}

/** The status and text `url` answers. */
export async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}
