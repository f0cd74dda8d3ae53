using Semisup.Cli;
using Semisup.Tests.Data;

namespace Semisup.Tests.Cli;

[Collection("mnist")]
public class CommandTests(MnistFixture mnist)
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
    [InlineData("train", "--epochs", "-1")]
    [InlineData("train", "--labels", "15")]
    [InlineData("train", "--labels", "some")]
    [InlineData("train", "--recipe", "no-such-recipe")]
    [InlineData("train", "--resume", "/nonexistent/run")]
    [InlineData("evaluate", "--checkpoint", "/nonexistent/best.ckpt")]
    [InlineData("evaluate")]
    [InlineData("predict", "--checkpoint", "/nonexistent/best.ckpt", "--input", "x.png")]
    public async Task Bad_input_exits_non_zero_before_any_work(params string[] args) =>
        Assert.NotEqual(0, await SemisupCli.RunAsync(args));

    [Fact]
    public async Task Compare_tabulates_finished_runs_and_draws_their_curves()
    {
        using var data = Semisup.Tests.Training.SmallRuns.Data(mnist);
        using var a = new TempDir();
        using var b = new TempDir();
        var recipe = Semisup.Tests.Training.SmallRuns.Recipe(epochs: 1);
        Semisup.Training.Trainer.Run(recipe, a.Path, data);
        Semisup.Training.Trainer.Run(recipe with { Seed = 2 }, b.Path, data);
        Assert.Equal(0, await SemisupCli.RunAsync(["compare", a.Path, b.Path, "--data-dir", mnist.Dir, "--plot", a["compare.png"]]));
        Assert.True(new FileInfo(a["compare.png"]).Length > 1000);
        Assert.Equal(1, await SemisupCli.RunAsync(["compare", "/nonexistent/run"]));
    }

    [Fact]
    public async Task Resume_refuses_to_change_what_the_run_recorded()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir[Semisup.Training.Trainer.RecipeFile], System.Text.Json.JsonSerializer.Serialize(new Semisup.Training.Recipe(), Semisup.Training.Recipe.Json));
        Assert.Equal(1, await SemisupCli.RunAsync(["train", "--resume", dir.Path, "--seed", "3"]));
        Assert.Equal(1, await SemisupCli.RunAsync(["train", "--resume", dir.Path, "--epochs", "0"]));
    }

    [Fact]
    public async Task Evaluate_and_predict_read_a_checkpoint_and_refuse_bad_images()
    {
        using var dir = new TempDir();
        using var net = new Semisup.Models.ConvNet(new());
        Semisup.Training.Checkpoint.Save(dir["m.ckpt"], net, new Semisup.Training.Recipe(), new(1, 1, 0.5, 1), null);
        var images = Path.Combine(mnist.Dir, "t10k-images-idx3-ubyte");
        Assert.Equal(0, await SemisupCli.RunAsync(["predict", "-c", dir["m.ckpt"], "-i", images, "--limit", "3"]));
        Assert.Equal(0, await SemisupCli.RunAsync(["evaluate", "-c", dir["m.ckpt"], "--data-dir", mnist.Dir]));
        File.WriteAllText(dir["bad.png"], "not a png");
        Assert.Equal(1, await SemisupCli.RunAsync(["predict", "-c", dir["m.ckpt"], "-i", dir["bad.png"]]));
        Assert.Equal(1, await SemisupCli.RunAsync(["evaluate", "-c", dir["bad.png"]]));
    }
}
