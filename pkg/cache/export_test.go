package cache

// HashWithClient returns the hash text of k as c's lookups encode it, with
// c's memory of map segments, for comparing with Key.Hash.
func HashWithClient(c *Client, k Key) (string, error) {
	c.lock()
	defer c.unlock()
	b, err := c.enc.encode(k)
	if err != nil {
		return "", err
	}
	return string(b) + "]", nil
}
