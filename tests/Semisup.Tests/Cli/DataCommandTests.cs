using Semisup.Cli;
using Semisup.Tests.Data;

namespace Semisup.Tests.Cli;

[Collection("mnist")]
public class DataCommandTests(MnistFixture mnist)
{
    [Fact]
    public async Task Verify_and_show_work_on_a_data_dir_and_exit_codes_tell_success()
    {
        using var dir = new TempDir();
        Assert.Equal(0, await SemisupCli.RunAsync(["data", "verify", "--data-dir", mnist.Dir]));
        Assert.Equal(0, await SemisupCli.RunAsync(["data", "show", "--data-dir", mnist.Dir, "-n", "20", "-o", dir["d.png"]]));
        Assert.True(new FileInfo(dir["d.png"]).Length > 1000);
        Assert.Equal(1, await SemisupCli.RunAsync(["data", "verify", "--data-dir", dir.Path]));
    }

    [Theory]
    [InlineData("data", "show", "--dataset", "nope")]
    [InlineData("data", "show", "--count", "0")]
    [InlineData("data", "frobnicate")]
    public async Task Bad_input_exits_non_zero(params string[] args) =>
        Assert.NotEqual(0, await SemisupCli.RunAsync(args));
}
