using Semisup.Training;

namespace Semisup.Tests.Training;

public class RunDirectoryTests
{
    [Fact]
    public void A_run_directory_has_one_writer_at_a_time_and_the_refusal_names_it()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        using (run.Lock())
        {
            var e = Assert.Throws<SemisupException>(() => run.Lock());
            Assert.Contains($"{dir.Path} is being trained by another semisup (process {Environment.ProcessId}, since ", e.Message);
        }
        // Released with its holder: the next run takes it.
        using var again = run.Lock();
    }

    [Fact]
    public void Trimming_the_metrics_rewrites_them_whole_and_leaves_no_temporary_file()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        for (int e = 1; e <= 3; e++) run.AppendMetrics(new EpochMetrics(e, e, 1, 1, 1, 1, 0.5, 0.1, e, 1), e - 1);
        File.AppendAllText(dir[RunDirectory.Metrics], "{\"epoch\":4,\"st"); // cut short by a full disk
        run.TrimMetrics(2);
        Assert.Equal([1, 2], run.ReadMetrics().Select(m => m.Epoch));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void A_directory_without_a_saved_epoch_is_no_run_to_protect_and_a_new_one_starts_afresh()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        File.WriteAllText(dir[RunDirectory.Metrics], "{\"epoch\":1}\n");
        File.WriteAllText(dir["last.ckpt.tmp"], "half a checkpoint");
        run.RefuseUsed();
        run.RemoveUnfinishedSaves();
        Assert.False(File.Exists(dir[RunDirectory.Metrics]));
        Assert.False(File.Exists(dir["last.ckpt.tmp"]));
        File.WriteAllText(dir[RunDirectory.Last], "");
        Assert.Contains("already holds a run (last.ckpt)", Assert.Throws<SemisupException>(run.RefuseUsed).Message);
    }
}
