using Microsoft.Playwright;
using Semisup.Cli.Serving;
using Semisup.Data;
using Semisup.Tests.Data;

namespace Semisup.Tests.Serve;

/// <summary>The page in Debian's headless chromium (never a downloaded browser): digits drawn with the mouse along the
/// ink of MNIST test images, an uploaded file, and the preview against the server's preprocessing.</summary>
[Collection("mnist")]
public class ServeBrowserTests(MnistFixture mnist)
{
    const string Chromium = "/usr/bin/chromium";

    static async Task<(IPlaywright, IBrowser, IPage, PredictionServer)> Open()
    {
        var server = PredictionServer.Start([ServeData.Checkpoint], 0);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 800, Height = 600 } });
        await page.GotoAsync(server.Url);
        return (playwright, browser, page, server);
    }

    /// <summary>Draws the pixels above 0.5 of a 28×28 digit on the canvas: each row's runs of ink as mouse strokes.</summary>
    static async Task Draw(IPage page, byte[] pixels)
    {
        var box = (await page.Locator("#pad").BoundingBoxAsync())!;
        float cell = box.Width / 28;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
            {
                if (pixels[y * 28 + x] <= 127) continue;
                int end = x;
                while (end + 1 < 28 && pixels[y * 28 + end + 1] > 127) end++;
                float py = box.Y + (y + 0.5f) * cell;
                await page.Mouse.MoveAsync(box.X + (x + 0.5f) * cell, py);
                await page.Mouse.DownAsync();
                await page.Mouse.MoveAsync(box.X + (end + 0.5f) * cell, py, new() { Steps = 2 });
                await page.Mouse.UpAsync();
                x = end;
            }
    }

    static async Task<int> WaitForPrediction(IPage page, int expected)
    {
        try { await page.WaitForFunctionAsync($"document.getElementById('predicted')?.textContent === '{expected}'", null, new() { Timeout = 15000 }); }
        catch (TimeoutException) { }
        // The answer shown is the one to the drawing as it is now (the page numbers its versions).
        await page.WaitForFunctionAsync("document.getElementById('pad').dataset.version === document.getElementById('preview').dataset.version", null, new() { Timeout = 15000 });
        return int.Parse(await page.Locator("#predicted").TextContentAsync() ?? "-1");
    }

    /// <summary>The preview canvas's grey levels and the server's preprocessing of the drawing canvas's PNG.</summary>
    static async Task AssertPreviewMatchesServer(IPage page, byte[]? sent = null)
    {
        var shown = await page.EvaluateAsync<int[]>("() => Array.from(document.getElementById('preview').getContext('2d').getImageData(0, 0, 28, 28).data).filter((_, i) => i % 4 === 0)");
        if (sent is null)
        {
            var url = await page.EvaluateAsync<string>("() => document.getElementById('pad').toDataURL('image/png')");
            sent = Convert.FromBase64String(url[(url.IndexOf(',') + 1)..]);
        }
        var expected = DigitImage.FromBytes(sent).Select(v => (int)Math.Round(255 * v)).ToArray();
        Assert.Equal(784, shown.Length);
        var diffs = expected.Zip(shown).Select(p => Math.Abs(p.First - p.Second)).ToArray();
        Assert.True(diffs.All(d => d <= 1), $"the preview differs from the server's preprocessing at {diffs.Count(d => d > 1)} pixels, by up to {diffs.Max()}");
        Assert.True(shown.Count(v => v > 0) > 20, "the preview is blank");
    }

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(7)]
    public async Task A_digit_drawn_with_the_mouse_is_recognised_and_previewed(int digit)
    {
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is missing (apt-get install chromium)");
        var (playwright, browser, page, server) = await Open();
        try
        {
            await Draw(page, ServeData.Pixels(mnist, ServeData.FirstOf(mnist, digit)));
            Assert.Equal(digit, await WaitForPrediction(page, digit));
            await AssertPreviewMatchesServer(page);
            if (digit == 7 && Environment.GetEnvironmentVariable("SEMISUP_SERVE_SCREENSHOT") is { Length: > 0 } shot)
                await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
            await page.ClickAsync("#clear");
            Assert.Equal("Draw a digit", (await page.Locator("#result").TextContentAsync())?.Trim());
        }
        finally
        {
            await browser.CloseAsync();
            playwright.Dispose();
            await server.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task An_uploaded_image_file_is_recognised_and_previewed()
    {
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is missing (apt-get install chromium)");
        var (playwright, browser, page, server) = await Open();
        try
        {
            var png = ServeData.Png(ServeData.Pixels(mnist, ServeData.FirstOf(mnist, 2)));
            await page.SetInputFilesAsync("#file", new FilePayload { Name = "two.png", MimeType = "image/png", Buffer = png });
            Assert.Equal(2, await WaitForPrediction(page, 2));
            await AssertPreviewMatchesServer(page, png);
        }
        finally
        {
            await browser.CloseAsync();
            playwright.Dispose();
            await server.DisposeAsync();
        }
    }
}
