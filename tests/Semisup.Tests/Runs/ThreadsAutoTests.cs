using System.Text.Json.Nodes;
using Semisup.Runs;
using Semisup.Tests.Cli;
using Semisup.Tests.Data;

namespace Semisup.Tests.Runs;

[Collection("mnist")]
public class ThreadsAutoTests(MnistFixture mnist)
{
    [Fact]
    public void Idle_cores_are_the_idle_share_of_the_time_between_two_readings()
    {
        // Between the readings 400 ticks passed: 200 busy (user + system), 150 idle and 50 iowait → half idle.
        const string before = "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\n";
        const string after = "cpu  200 0 200 950 50 0 0 0 0 0\ncpu0 100 0 100 500 0 0 0 0 0 0\n";
        Assert.Equal(2, Threads.IdleCores(before, after, 4));
        Assert.Equal(1, Threads.IdleCores(before, after, 2));
        // Fully busy still leaves one thread; fully idle gives every core; no time passed gives every core.
        Assert.Equal(1, Threads.IdleCores(before, "cpu  500 0 100 800 0 0 0 0 0 0", 2));
        Assert.Equal(2, Threads.IdleCores(before, "cpu  100 0 100 1200 0 0 0 0 0 0", 2));
        Assert.Equal(8, Threads.IdleCores(before, before, 8));
    }

    static int RecordedThreads(string run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run, RunDirectory.Recipe)))!["run"]!["threads"]!.GetValue<int>();

    [Fact]
    public async Task Train_records_the_count_auto_picked_and_a_resume_with_auto_keeps_the_recorded_one()
    {
        // Training sets libtorch's thread count for the whole process; other tests compare floats at the one they had.
        int threads = TorchSharp.torch.get_num_threads();
        try { await TrainAndResume(); }
        finally { TorchSharp.torch.set_num_threads(threads); }
    }

    async Task TrainAndResume()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["tiny.json"], """{ "method": { "kind": "supervised" }, "data": { "labels": 100 }, "run": { "epochs": 1, "stepsPerEpoch": 1, "labeledBatch": 20, "evalBatch": 2500 } }""");
        var (code, output, err) = await CliCapture.Run("train", "--recipe", dir["tiny.json"], "--out", dir["run"], "--threads", "auto", "--data-dir", mnist.Dir);
        Assert.True(code == 0, err);
        int picked = RecordedThreads(dir["run"]);
        Assert.InRange(picked, 1, Environment.ProcessorCount);
        Assert.Contains($"--threads auto: {picked} of {Environment.ProcessorCount} cores idle", output);

        // A run recorded at another count resumes at it, whatever the machine's load now.
        var recipe = Path.Combine(dir["run"], RunDirectory.Recipe);
        var json = JsonNode.Parse(File.ReadAllText(recipe))!;
        int other = picked == 1 ? 2 : 1;
        json["run"]!["threads"] = other;
        File.WriteAllText(recipe, json.ToJsonString());
        (code, output, err) = await CliCapture.Run("train", "--resume", dir["run"], "--epochs", "2", "--threads", "auto", "--data-dir", mnist.Dir);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("--threads auto", output);
        Assert.Equal(other, RecordedThreads(dir["run"]));

        Assert.Contains("--threads many: give a count or auto.",
            (await CliCapture.Run("train", "--recipe", dir["tiny.json"], "--out", dir["bad"], "--threads", "many", "--data-dir", mnist.Dir)).Err);
    }
}
